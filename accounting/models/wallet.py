"""SiFi's side of the spending (SPEC §2): who spends (employees), from which budget, with
which card.

The wallet itself is not a row: every transaction is a movement of it, and the Source Account of
the organization's books stands for it in every journal entry."""

from typing import ClassVar

from django.db import models

from sifi.models import Organization


class Employee(models.Model):
    """A card holder or reimbursement claimant, keyed by SiFi's own reference."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="employees"
    )
    reference = models.CharField(max_length=64)
    name = models.CharField(max_length=200)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="employee_unique_reference_per_org"
            ),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Budget(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="budgets")
    name = models.CharField(max_length=200)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "name"], name="budget_unique_name"),
        ]
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class Card(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cards")
    reference = models.CharField(max_length=64)
    last4 = models.CharField(max_length=4)
    holder = models.ForeignKey(
        Employee, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards"
    )
    budget = models.ForeignKey(
        Budget, on_delete=models.SET_NULL, null=True, blank=True, related_name="cards"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organization", "reference"], name="card_unique_reference_per_org"
            ),
            models.CheckConstraint(
                condition=models.Q(last4__regex=r"^[0-9]{4}$"), name="card_last4"
            ),
        ]

    def __str__(self) -> str:
        return f"•••• {self.last4}"
