"""The network edge: the one guarded HTTP client, and keys from did:key, did:web, issuer
profiles and JWK sets.

```python
from mcbadge.resolve import Fetcher

fetcher = Fetcher()                                   # https only, public addresses only
doc = fetcher.get_json("https://issuer.example/profile")
offline = Fetcher(documents={url: doc})               # never touches the network for url
```

Policy, all on by default:

- **https only** (``allow_http=True`` to relax, for tests).
- **Public addresses only**: every connection, including each redirect hop, resolves the
  host and refuses loopback, private, link-local, CGNAT, multicast and reserved addresses,
  then connects to the address it checked (no second DNS lookup to race).
  ``allow_private=True`` must be explicit (tests, intranets).
- **Bounded**: connect/read timeouts, at most ``max_bytes`` of body, ``max_redirects`` hops.
- **JSON only** for :meth:`Fetcher.get_json`: the response must say it is JSON.
- **Offline** with ``offline=True``: only the ``documents`` given are answered.
- **Cached** in memory: ``Cache-Control: max-age``, else the caller's ``ttl``, else
  ``default_ttl``.
"""

from mcbadge.resolve._fetch import JSON_TYPES, Fetcher, is_public_address
from mcbadge.resolve._keys import KeyDirectory, ResolvedKey, same_key

__all__ = ["JSON_TYPES", "Fetcher", "KeyDirectory", "ResolvedKey", "is_public_address",
           "same_key"]
