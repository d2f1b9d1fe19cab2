"""The local S3 endpoint: what the functions (S3_ENDPOINT_URL) and browsers (the upload URL of
a presigned POST) talk to instead of moto's server. A browser upload is checked against its
signed policy as S3 checks it, and only then stored in moto, which checks none of it; every
other request, the functions' own boto3 calls, goes on to moto as it came."""

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from aiohttp import BodyPartReader, ClientSession, web
from multidict import CIMultiDict
from yarl import URL

from chat.clock import utc_now
from local.post_policy import UploadRefused, verified_policy

# Per connection, not per message: never passed on either way.
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "expect"})
# What S3 keeps from an upload form's fields as the object's own headers.
STORED_FIELDS = {
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
}
METADATA = "x-amz-meta-"
# S3 takes form fields of up to 20 KB before the file; nothing here reads more.
MAX_FIELD_BYTES = 20 * 1024
MOTO = web.AppKey("moto", ClientSession)


def s3_error(status: int, code: str, message: str, **details: int | str) -> web.Response:
    """An error as S3 words it (CloudFront passes these on from its S3 origin, too)."""
    extra = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in details.items())
    return web.Response(
        status=status,
        content_type="application/xml",
        text=f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}</Error>",
    )


class S3Front:
    def __init__(self, s3: Any, moto_url: str, secrets: Mapping[str, str], web_origins: Sequence[str]) -> None:
        """`s3` is a boto3 client of moto's S3 at `moto_url`; `secrets` maps access key ids to the
        secret keys forms may be signed with; `web_origins` are the pages that may upload."""
        self._s3 = s3
        self._moto_url = moto_url
        self._secrets = dict(secrets)
        self._web_origins = frozenset(web_origins)

    def app(self) -> web.Application:
        app = web.Application()
        for path in ("/{bucket}", "/{bucket}/"):
            app.router.add_post(path, self.post_object)
            app.router.add_route("OPTIONS", path, self.preflight)
        app.router.add_route("*", "/{path:.*}", self.pass_on)
        app.cleanup_ctx.append(_moto_client)
        return app

    async def post_object(self, request: web.Request) -> web.StreamResponse:
        if request.content_type != "multipart/form-data":
            return await self.pass_on(request)  # boto3's own POSTs, such as DeleteObjects
        bucket = request.match_info["bucket"]
        try:
            fields, content = await self._checked_form(bucket, request)
            etag = await asyncio.get_running_loop().run_in_executor(None, self._store, bucket, fields, content)
        except UploadRefused as refused:
            response = s3_error(refused.status, refused.code, refused.message, **refused.details)
        else:
            response = _stored(request, bucket, fields["key"], etag, fields.get("success_action_status"))
        response.headers.update(self._cors(request))
        return response

    async def _checked_form(self, bucket: str, request: web.Request) -> tuple[dict[str, str], bytes]:
        """The form's fields (names in lower case) and the file, if the form's policy allows them."""
        fields: dict[str, str] = {}
        try:
            async for part in await request.multipart():
                if not isinstance(part, BodyPartReader):
                    continue
                if part.name != "file":
                    fields[(part.name or "").lower()] = await _field(part)
                    continue
                # The fields come first; S3 ignores any after the file.
                if "key" not in fields:
                    raise UploadRefused(400, "InvalidArgument", "Bucket POST must contain a field named 'key'.")
                policy = verified_policy(bucket, fields, self._secrets, utc_now())
                content = await _read(part, policy.max_size)
                policy.check_size(len(content))
                return fields, content
        except ValueError as error:  # aiohttp's word for a body that is not multipart
            raise UploadRefused(
                400, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."
            ) from error
        raise UploadRefused(400, "InvalidArgument", "POST requires exactly one file upload per request.")

    def _store(self, bucket: str, fields: dict[str, str], content: bytes) -> str:
        metadata = {name.removeprefix(METADATA): value for name, value in fields.items() if name.startswith(METADATA)}
        headers = {argument: fields[name] for name, argument in STORED_FIELDS.items() if name in fields}
        try:
            stored = self._s3.put_object(
                Bucket=bucket,
                Key=fields["key"],
                Body=content,
                ContentType=fields.get("content-type", "binary/octet-stream"),
                Metadata=metadata,
                **headers,
            )
        except self._s3.exceptions.NoSuchBucket as error:
            raise UploadRefused(404, "NoSuchBucket", "The specified bucket does not exist") from error
        return str(stored["ETag"])

    async def preflight(self, request: web.Request) -> web.StreamResponse:
        """The bucket's CORS rule (infra/constructs/hosting.py): POSTs from the web app's pages, any header."""
        allowed = self._cors(request)
        if not allowed or request.headers.get("Access-Control-Request-Method") != "POST":
            return s3_error(403, "AccessForbidden", "CORSResponse: This CORS request is not allowed.")
        asked = request.headers.get("Access-Control-Request-Headers")
        return web.Response(
            headers={
                **allowed,
                **({"Access-Control-Allow-Headers": asked} if asked else {}),
                "Access-Control-Max-Age": "3600",
            }
        )

    def _cors(self, request: web.Request) -> dict[str, str]:
        origin = request.headers.get("Origin", "")
        if origin not in self._web_origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": "POST", "Vary": "Origin"}

    async def pass_on(self, request: web.Request) -> web.StreamResponse:
        """Any other request, to moto. moto checks no signature, but a request with none is still
        refused, as by the private bucket: this origin never serves stored objects to a browser."""
        if "Authorization" not in request.headers and "X-Amz-Signature" not in request.query:
            return s3_error(403, "AccessDenied", "Access Denied")
        # The client names moto's host and counts the body itself.
        dropped = HOP_BY_HOP | {"host", "content-length"}
        headers = CIMultiDict((n, v) for n, v in request.headers.items() if n.lower() not in dropped)
        async with request.app[MOTO].request(
            request.method,
            URL(self._moto_url + request.raw_path, encoded=True),  # as sent: keys stay encoded as signed
            headers=headers,
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            # Content-Length stays: a HEAD's is the object's, with no body.
            kept = CIMultiDict((n, v) for n, v in answer.headers.items() if n.lower() not in HOP_BY_HOP)
        return web.Response(status=answer.status, body=body, headers=kept)


async def _moto_client(app: web.Application) -> AsyncIterator[None]:
    async with ClientSession(auto_decompress=False) as session:
        app[MOTO] = session
        yield


async def _read(part: BodyPartReader, limit: int | None) -> bytes:
    """The file, read no further than one byte past `limit`: enough to know it is too large."""
    content = bytearray()
    while chunk := await part.read_chunk():
        content += chunk
        if limit is not None and len(content) > limit:
            break
    return bytes(content)


def _stored(request: web.Request, bucket: str, key: str, etag: str, status: str | None) -> web.Response:
    """S3's answer to a stored upload: 204, unless the form asked for 200 or 201 (201 with a description)."""
    location = f"{request.url.origin()}/{bucket}/{quote(key)}"
    headers = {"ETag": etag, "Location": location}
    if status == "201":
        return web.Response(
            status=201,
            content_type="application/xml",
            headers=headers,
            text=f'<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>{escape(location)}</Location>'
            f"<Bucket>{escape(bucket)}</Bucket><Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>",
        )
    return web.Response(status=200 if status == "200" else 204, headers=headers)


async def _field(part: BodyPartReader) -> str:
    """One form field's text, read no further than S3 would."""
    value = bytearray()
    while chunk := await part.read_chunk():
        value += chunk
        if len(value) > MAX_FIELD_BYTES:
            raise UploadRefused(400, "MaxPostPreDataLengthExceeded", "Your POST request fields exceed 20 KB.")
    return value.decode(part.get_charset("utf-8"), "replace")
