"""The web app's Content-Security-Policy, in one place: CloudFront sends it on AWS and the
local gateway sends it on `make dev`, so a client change that breaks it fails locally first.
Plain Python (no CDK): the local gateway imports it too."""

from collections.abc import Sequence


def content_security_policy(connect: Sequence[str], images: Sequence[str]) -> str:
    """Scripts and styles only from the app itself; calls only to the app, the APIs and the
    media bucket's upload endpoint (`connect`); pictures from the app, the media CDN
    (`images`) and the browser's own previews; the app's own service worker (/sw.js, for
    Web Push) and web app manifest; no framing, no plugins, no base or forms."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *images],
        "connect-src": ["'self'", *connect],
        "font-src": ["'self'"],
        # default-src already allows both; named so that tightening it cannot silently break
        # notifications and installing the app.
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


# Media is never a page: whatever a file claims to be, a browser opening it runs nothing and
# loads nothing (a picture shown in the app is unaffected: CSP governs documents, not <img>).
MEDIA_CSP = "default-src 'none'; sandbox"

# On AWS the APIs (https and wss on execute-api), S3 (presigned uploads) and the media CDN
# have names only known at deploy time, and naming them here would tie the web distribution
# to the stacks that name it: their AWS domains stand in.
AWS_CONNECT = ("https://*.amazonaws.com", "wss://*.amazonaws.com")
AWS_IMAGES = ("https://*.cloudfront.net",)
