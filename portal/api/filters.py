"""What the API's list filters share."""

import django_filters
from django import forms

# The largest integer either database stores: a bigger id or sequence number in a query is a 400, not an overflow.
LARGEST_STORED = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """An object's id in a query string: a whole number the database can hold, else a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_STORED)
        super().__init__(*args, **kwargs)
