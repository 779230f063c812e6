from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}``; 20 per page by default, ``page_size`` at most 50."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 50
