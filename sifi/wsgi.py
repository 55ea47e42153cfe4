import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifi.settings")
application = get_wsgi_application()

# What the process has loaded by now (Django, the apps, the URLconf, settings) lives as long
# as it does. Frozen, the collector stops walking it on every full collection: one request
# in twenty on the Accounting page paid 50-150 ms for that walk (docs/PERFORMANCE.md).
gc.collect()
gc.freeze()
