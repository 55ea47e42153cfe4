"""How an organization connects its books: one flow per accounting system, built on one base.

A provider package has a `connect.py` whose flow class (named by the Provider's
`connect_flow`) says what the wizard asks (a form for the pages, a serializer for the API),
which permissions it lists at consent, and how the answers are checked with real calls. The
styles in `base.py` and `oauth.py` do the rest: an API key, an instance URL with
credentials, OAuth 2.0's authorization code with a company choice. The services
(`integrations.services.connection`) store what a flow learned; the pages and the API are
generated for every registered provider (`integrations.urls`, `integrations.page_urls`).
"""
