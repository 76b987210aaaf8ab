"""The bundled JSON-LD contexts: URL -> (file in contexts/, SHA-256 of its bytes).

The files are byte-for-byte copies of the published contexts (provenance in
docs/security.md). A file whose hash differs is refused at load time.

A publisher may amend a context in place (1EdTech added ``endorsementJwt`` to the 3.0.3 OB
context in June 2026 without a new URL): :data:`KNOWN_EDITIONS` lists every edition mcbadge
knows for a URL, by digest. The bundled file is the newest; an older edition registered by a
caller for the same URL is accepted (an amendment that only adds terms changes no other
term's meaning).
"""

from __future__ import annotations

PINNED_CONTEXTS: dict[str, tuple[str, str]] = {
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json": ("1edtech_clr_v2p0_context-2.0.1.json", "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6"),
    "https://purl.imsglobal.org/spec/clr/v2p0/context.json": ("1edtech_clr_v2p0_context.json", "958ff9dc1a5a18c226579b707eac77c1ef50d7d9ab6c24e7058a3b02663f53a1"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": ("1edtech_ob_v3p0_context-3.0.1.json", "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": ("1edtech_ob_v3p0_context-3.0.2.json", "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": ("1edtech_ob_v3p0_context-3.0.3.2026-06.json", "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84"),
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": ("1edtech_ob_v3p0_context.json", "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10"),
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": ("1edtech_ob_v3p0_extensions.json", "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3"),
    "https://w3id.org/security/data-integrity/v1": ("data-integrity-v1.jsonld", "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554"),
    "https://w3id.org/security/data-integrity/v2": ("data-integrity-v2.jsonld", "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4"),
    "https://w3id.org/security/jwk/v1": ("jwk-v1.jsonld", "0f14b62f6071aafe00df265770ea0c7508e118247d79b7d861a406d2aa00bece"),
    "https://w3id.org/security/multikey/v1": ("multikey-v1.jsonld", "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597"),
    "https://w3id.org/security/suites/ed25519-2020/v1": ("ed25519-2020-v1.jsonld", "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588"),
    "https://w3id.org/security/suites/jws-2020/v1": ("jws-2020-v1.jsonld", "d648e05ddc6577827ca2bfd5e931f53e9ebc6e52a57a8da81df4ec8c46ffcd1e"),
    "https://w3id.org/security/v1": ("security-v1.jsonld", "abaf97e107d1925503c433dcaf3ffd2831697cacc1ed2a293e1bc8030d5bcb47"),
    "https://w3id.org/security/v2": ("security-v2.jsonld", "611bd81151d5efe53ec9aed78f5a813e577287bc9451ee26d6879b1b8b46bc3b"),
    "https://w3id.org/vc/status-list/2021/v1": ("status-list-2021-v1.jsonld", "6dd06a52bedb771e059c1083ba8ba7848dce22f6b4a8cfa0b98ba3fc188870e4"),
    "https://www.w3.org/2018/credentials/v1": ("credentials-v1.jsonld", "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc"),
    "https://www.w3.org/ns/credentials/status/v1": ("credentials-status-v1.jsonld", "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7"),
    "https://www.w3.org/ns/credentials/v2": ("credentials-v2.jsonld", "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"),
    "https://www.w3.org/ns/did/v1": ("did-v1.jsonld", "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f"),
}

KNOWN_EDITIONS: dict[str, dict[str, str]] = {
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": {
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761":
            "3.0.3 as first published",
        "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84":
            "3.0.3 as amended in June 2026 (adds endorsementJwt and jti; bundled)",
    },
}
"""URL -> {SHA-256 of an edition's bytes: which edition}, for contexts amended in place."""
