"""The media bucket through boto3: presigned POST forms, a ranged read of an
upload's first bytes, and server-side copies to where CloudFront serves."""

from typing import Any

from chat.adapters.boto_spans import traced
from chat.models.errors import ServiceUnavailable
from chat.models.ports import StoredObject


class S3MediaStorage:
    def __init__(self, bucket: str, endpoint_url: str | None = None, region: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self._bucket = bucket
        self._client: Any = traced(
            boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region,
                config=Config(
                    signature_version="s3v4",
                    # A local S3 (moto's server) answers on one host: address buckets by path there.
                    s3={"addressing_style": "path" if endpoint_url else "virtual"},
                    connect_timeout=2,
                    read_timeout=10,
                    max_pool_connections=16,
                ),
            )
        )

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        # boto3 adds the exact-key condition itself; the type and the size range are pinned here.
        form = self._call(
            self._client.generate_presigned_post,
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]],
            ExpiresIn=expires_in,
        )
        return form["url"], form["fields"]

    def inspect(self, key: str, head_bytes: int) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            found = self._client.get_object(Bucket=self._bucket, Key=key, Range=f"bytes=0-{head_bytes - 1}")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                return None
            if code == "InvalidRange":  # only an empty object has no byte 0
                return StoredObject(size=0, content_type=None, head=b"")
            raise self._unavailable(error) from error
        except Exception as error:
            raise self._unavailable(error) from error
        head = found["Body"].read()
        # "bytes 0-8191/123456": the total after the slash is the object's size.
        content_range = found.get("ContentRange") or ""
        size = int(content_range.rsplit("/", 1)[1]) if "/" in content_range else int(found["ContentLength"])
        return StoredObject(size=size, content_type=found.get("ContentType"), head=head)

    def publish(
        self, source_key: str, target_key: str, content_type: str, disposition: str, cache_control: str
    ) -> None:
        self._call(
            self._client.copy_object,
            Bucket=self._bucket,
            Key=target_key,
            CopySource={"Bucket": self._bucket, "Key": source_key},
            MetadataDirective="REPLACE",
            ContentType=content_type,
            ContentDisposition=disposition,
            CacheControl=cache_control,
        )

    @staticmethod
    def _call(operation: Any, **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except Exception as error:
            raise S3MediaStorage._unavailable(error) from error

    @staticmethod
    def _unavailable(error: Exception) -> ServiceUnavailable:
        return ServiceUnavailable("Media storage is unavailable right now; try again shortly.")
