"""The client's address, for the sign-in lockout (django-axes) and the API's anonymous throttle.

Behind a reverse proxy every request comes from the proxy, so the lockout would lock a
username for everyone and the throttle would count all anonymous clients as one. With
``TRUSTED_PROXY_COUNT=N`` (the proxies in front of gunicorn that append to
``X-Forwarded-For``), the client is the N-th address from the right of that header:
everything further left was written by the client and can be forged. 0 (the default)
trusts no header: gunicorn is reached directly.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    proxies = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    # Fewer entries than proxies: the request skipped a proxy; its own address is all we know.
    return forwarded[-proxies] if len(forwarded) >= proxies else remote
