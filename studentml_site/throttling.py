"""API throttles that cost the same on the first request of the hour and the 100,000th.

DRF's own throttles keep, per client, the list of every request time within the period and
write the whole list back to the cache on each request: at the default 100,000/hour that
is a list of up to 100,000 floats pickled per request, and a load test slowed down by half
as it grew. These count requests in fixed windows instead: one integer per client and
window (``cache.add`` then ``cache.incr``), so a request costs one small read and write.

The counter lives in the default cache (``CACHE_URL``). With Redis every worker process
shares it, so a limit is one limit for the whole server, counted exactly (``INCR`` is
atomic). The default, each process's memory, costs nothing but counts per worker; a file
cache would be shared but took half the API's throughput (two file writes per request).
A fixed window lets a client spend up to twice the rate across a window boundary: the
price of the constant cost.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


class WindowCounterMixin(SimpleRateThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        # Kept a little past its window so a slow request near the end still finds it.
        self.cache.add(key, 0, self.duration + 60)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired or culled between add and incr
            self.cache.set(key, 1, self.duration + 60)
            count = 1
        return count <= self.num_requests

    def wait(self) -> float:
        """Seconds until the window ends (sent as Retry-After)."""
        return max(0.0, self.window_ends - self.now)


class AnonWindowThrottle(WindowCounterMixin, AnonRateThrottle):
    """Anonymous requests, per client IP (``THROTTLE_ANON``)."""


class UserWindowThrottle(WindowCounterMixin, UserRateThrottle):
    """Signed-in users and tokens, per user (``THROTTLE_USER``)."""
