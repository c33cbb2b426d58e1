"""GOV.UK pagination links for a page of results that keep the rest of the query string."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.http import HttpRequest


def page_links(request: HttpRequest, page: Page[Any]) -> dict[str, Any]:
    """For ``includes/pagination.html``: previous, next, and page numbers with gaps."""

    def url(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return f"?{query.urlencode()}"

    links: list[dict[str, Any]] = []
    if page.paginator.num_pages > 1:
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1):
            if isinstance(number, int):
                links.append({"number": number, "url": url(number), "current": number == page.number})
            else:
                links.append({"ellipsis": True})
    return {
        "prev": url(page.previous_page_number()) if page.has_previous() else "",
        "next": url(page.next_page_number()) if page.has_next() else "",
        "links": links,
    }
