"""Archive chunks in the media bucket's private archive/ prefix: JSON Lines, gzip. Each
line is one message as stored, or {"seq": n, "skipped": true} for a seq reserved but never
used. S3 checks the SHA-256 sent with every write, and a write is read back (its size and
checksum) before it counts as written."""

import base64
import gzip
import hashlib
import json
from typing import Any

from chat.adapters.boto_spans import traced
from chat.models.chat import Message
from chat.models.errors import ServiceUnavailable
from chat.models.ports import HistorySlice


def encode_chunk(history: HistorySlice) -> bytes:
    lines = [json.dumps(m.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) for m in history.messages]
    lines += [json.dumps({"seq": seq, "skipped": True}) for seq in sorted(history.skipped)]
    # mtime=0: the same messages make the same bytes, so a rerun writes an identical object.
    return gzip.compress("\n".join(lines).encode(), compresslevel=6, mtime=0)


def decode_chunk(data: bytes) -> HistorySlice:
    messages: list[Message] = []
    skipped: set[int] = set()
    for line in gzip.decompress(data).decode().splitlines():
        entry = json.loads(line)
        if entry.get("skipped"):
            skipped.add(int(entry["seq"]))
        else:
            messages.append(Message.model_validate(entry))
    return HistorySlice(messages=sorted(messages, key=lambda m: m.seq), skipped=skipped)


class S3ArchiveStorage:
    def __init__(self, bucket: str, endpoint_url: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self._bucket = bucket
        self._client: Any = traced(
            boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path" if endpoint_url else "virtual"},
                    connect_timeout=2,
                    read_timeout=10,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        )

    def write(self, key: str, history: HistorySlice) -> None:
        body = encode_chunk(history)
        checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
        try:
            self._client.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/gzip",
                ChecksumSHA256=checksum,
            )
            stored = self._client.head_object(Bucket=self._bucket, Key=key, ChecksumMode="ENABLED")
        except Exception as error:
            raise ServiceUnavailable("The archive is unavailable right now.") from error
        if stored["ContentLength"] != len(body) or stored.get("ChecksumSHA256", checksum) != checksum:
            raise ServiceUnavailable(f"The archive chunk {key} did not read back as written.")

    def delete(self, key: str) -> None:
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except Exception as error:
            raise ServiceUnavailable("The archive is unavailable right now.") from error

    def read(self, key: str) -> HistorySlice:
        try:
            found = self._client.get_object(Bucket=self._bucket, Key=key)
            body = found["Body"].read()
        except Exception as error:
            raise ServiceUnavailable("The archive is unavailable right now; try again shortly.") from error
        return decode_chunk(body)
