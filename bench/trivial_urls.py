"""The product's URLconf plus ``/bench/trivial/``: the cheapest Django JSON response (the same
middleware stack, no database, no cache, no DRF), the yardstick the API load benchmark compares
the schedule endpoint with."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from rocketship.urls import handler400, handler403, handler404, handler500
from rocketship.urls import urlpatterns as product

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def trivial(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *product]
