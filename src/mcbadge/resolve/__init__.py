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
- **Bounded**: ``timeout`` for each fetch in total (redirects and body included), and within
  :func:`fetch_deadline` (each :func:`mcbadge.verify` call) a budget for all of them; at most
  ``max_bytes`` of body, ``max_redirects`` hops. Numeric IPv4 spellings (decimal, octal,
  hex) and IPv6 forms that embed or reach IPv4 or local networks (mapped, compatible, NAT64,
  6to4, Teredo, site-local) are refused before connecting.
- **JSON only** for :meth:`Fetcher.get_json`: a JSON content type, or ``text/plain`` /
  ``application/octet-stream`` / none (S3 and plain file servers) when the body parses.
- **Offline** with ``offline=True``: only the ``documents`` given are answered.
- **Cached** in memory, bounded (``cache_entries``, ``cache_bytes``): ``Cache-Control:
  max-age``, else the caller's ``ttl``, else ``default_ttl``; expired entries are dropped.
"""

from mcbadge.resolve._fetch import JSON_TYPES, Fetcher, fetch_deadline, is_public_address
from mcbadge.resolve._keys import KeyDirectory, ResolvedKey, same_key

__all__ = ["JSON_TYPES", "Fetcher", "KeyDirectory", "ResolvedKey", "fetch_deadline",
           "is_public_address", "same_key"]
