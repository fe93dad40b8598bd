"""Lists come in pages: ``?page=<n>&page_size=<m>`` (at most 200), with ``count``, ``next`` and ``previous``."""

from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200
