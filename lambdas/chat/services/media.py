"""Media uploads: upload forms, and the checks an upload passes before a message or a
profile may use it (the signed links members fetch attachments through are in media_links.py).

Browsers upload straight to S3 with a presigned POST into the private
`incoming/` area, which nothing serves. A message or profile that names an
upload has it checked (it exists, is the sender's, for this conversation,
within its size, and its first bytes match its type) and copied, inside S3, to
where CloudFront serves it: `attachments/` behind signed URLs, `avatars/` in public.
Only the first few KiB of a file ever reach a function."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Literal
from urllib.parse import quote

from chat.clock import utc_now
from chat.models.api import AttachmentRef, AvatarUploadRequest, UploadForm, UploadTicket, UploadUrlRequest
from chat.models.chat import Attachment
from chat.models.errors import ChatError, Forbidden, InvalidMedia, NotFound
from chat.models.ports import MediaLinkSigner, MediaStorage, MediaStore, MediaUpload, MembershipCheck, Metrics
from chat.services.ids import new_id
from chat.services.media_links import attachment_key
from chat.services.media_types import HEAD_BYTES, KINDS, MediaKind, bare_type, kind_for, sniff

UPLOAD_FORM_TTL_SECONDS = 300
# Unused uploads are forgotten with their bytes (the bucket expires incoming/ after 2 days).
UPLOAD_RECORD_TTL = timedelta(days=2)
INCOMING_PREFIX = "incoming/"
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_PARALLEL_CHECKS = 10


def avatar_key(owner_id: str, media_id: str, content_type: str) -> str:
    return f"avatars/{owner_id}/{media_id}.{KINDS[content_type].extension}"


class MediaService:
    def __init__(
        self,
        uploads: MediaStore,
        storage: MediaStorage,
        signer: MediaLinkSigner,
        members: MembershipCheck,
        *,
        metrics: Metrics,
    ) -> None:
        self._uploads = uploads
        self._storage = storage
        self._signer = signer  # for avatars' public URLs
        self._members = members
        self._metrics = metrics  # refusals, by reason (MediaRefused)
        # One pool per container (this service is built once), not one per send.
        self._checks = ThreadPoolExecutor(MAX_PARALLEL_CHECKS, thread_name_prefix="media-check")

    def attachment_upload(self, owner_id: str, request: UploadUrlRequest) -> UploadTicket:
        kind = self._kind(request.contentType, request.size)
        self._members.require_member(request.conversationId, owner_id)
        return self._issue(
            owner_id=owner_id,
            purpose="attachment",
            conversation_id=request.conversationId,
            name=request.fileName,
            content_type=kind.content_type,
            size=request.size,
        )

    def avatar_upload(self, owner_id: str, request: AvatarUploadRequest) -> UploadTicket:
        kind = self._kind(request.contentType, request.size, avatar=True)
        return self._issue(
            owner_id=owner_id,
            purpose="avatar",
            conversation_id=None,
            name=f"avatar.{kind.extension}",
            content_type=kind.content_type,
            size=request.size,
        )

    def attach(self, sender_id: str, conversation_id: str | None, refs: list[AttachmentRef]) -> list[Attachment]:
        """The checked attachments for a message to `conversation_id`, in the order given.
        Raises before anything is stored or published if any upload fails a check, or the
        sender is not a member (one read more, for sends with files only)."""
        uploads = self._owned(sender_id, [ref.mediaId for ref in refs], "attachment")
        for upload in uploads:
            if upload.conversation_id != conversation_id:
                raise Forbidden(f"The upload {upload.media_id} was made for another conversation.")
        if conversation_id is not None:
            # Someone removed since the upload may not send: nothing is published for a refused send.
            self._members.require_member(conversation_id, sender_id)
        # Every file is checked before any is published: one bad file leaves nothing served.
        checked = list(self._checks.map(self._check_attachment, uploads))
        published = list(self._checks.map(self._publish_attachment, checked))
        return [
            Attachment(
                mediaId=u.media_id,
                name=u.name,
                contentType=u.content_type,
                size=u.size or 0,
                width=u.width,
                height=u.height,
            )
            for u in published
        ]

    def publish_avatar(self, owner_id: str, media_id: str) -> str:
        """Checks an uploaded avatar and makes it public; returns its URL, new for every upload."""
        (upload,) = self._owned(owner_id, [media_id], "avatar")
        if upload.published_key is None:
            key = avatar_key(owner_id, upload.media_id, upload.content_type)
            upload = self._checked(upload, key)
            self._storage.publish(
                upload.upload_key, key, content_type=upload.content_type, disposition="inline", cache_control=IMMUTABLE
            )
            self._uploads.mark_published(upload)
        assert upload.published_key is not None
        return self._signer.public_url(upload.published_key)

    def _issue(
        self,
        *,
        owner_id: str,
        purpose: Literal["attachment", "avatar"],
        conversation_id: str | None,
        name: str,
        content_type: str,
        size: int,
    ) -> UploadTicket:
        media_id = new_id()
        upload = MediaUpload(
            media_id=media_id,
            owner_id=owner_id,
            purpose=purpose,
            conversation_id=conversation_id,
            upload_key=f"{INCOMING_PREFIX}{media_id}",
            name=name,
            content_type=content_type,
            max_size=size,
            created_at=utc_now(),
        )
        url, fields = self._storage.upload_form(upload.upload_key, content_type, size, UPLOAD_FORM_TTL_SECONDS)
        self._uploads.add(upload, expires_at=upload.created_at + UPLOAD_RECORD_TTL)
        return UploadTicket(
            mediaId=media_id, upload=UploadForm(url=url, fields=fields), expiresIn=UPLOAD_FORM_TTL_SECONDS
        )

    def _kind(self, content_type: str, size: int, *, avatar: bool = False) -> MediaKind:
        try:
            return kind_for(content_type, size, avatar=avatar)
        except ChatError:
            self._metrics.count("MediaRefused", by={"reason": "not_accepted"})  # a type or size no upload may have
            raise

    def _refused(self, message: str) -> InvalidMedia:
        self._metrics.count("MediaRefused", by={"reason": "failed_check"})  # not what its upload form promised
        return InvalidMedia(message)

    def _owned(self, owner_id: str, media_ids: list[str], purpose: str) -> list[MediaUpload]:
        found = {u.media_id: u for u in self._uploads.get_many(media_ids)}
        uploads = []
        for media_id in media_ids:
            upload = found.get(media_id)
            if upload is None or upload.purpose != purpose:
                raise NotFound(f"No {purpose} upload has the id {media_id}; ask for an upload URL first.")
            if upload.owner_id != owner_id:
                raise Forbidden(f"The upload {media_id} belongs to someone else.")
            uploads.append(upload)
        return uploads

    def _check_attachment(self, upload: MediaUpload) -> tuple[MediaUpload, bool]:
        """The upload as checked, and whether it still needs publishing."""
        if upload.published_key is not None:
            return upload, False  # a resend, or the same file in a second message: checked already
        assert upload.conversation_id is not None
        key = attachment_key(upload.conversation_id, upload.media_id, upload.content_type)
        return self._checked(upload, key), True

    def _publish_attachment(self, checked: tuple[MediaUpload, bool]) -> MediaUpload:
        upload, needed = checked
        if not needed:
            return upload
        assert upload.published_key is not None
        key = upload.published_key
        # Images show in the page; anything else downloads under its own name.
        disposition = (
            "inline"
            if KINDS[upload.content_type].is_image
            else f"attachment; filename*=UTF-8''{quote(upload.name, safe='')}"
        )
        self._storage.publish(
            upload.upload_key, key, content_type=upload.content_type, disposition=disposition, cache_control=IMMUTABLE
        )
        self._uploads.mark_published(upload)
        return upload

    def _checked(self, upload: MediaUpload, published_key: str) -> MediaUpload:
        """The upload with its real size and image dimensions, if S3 holds what was promised."""
        found = self._storage.inspect(upload.upload_key, HEAD_BYTES)
        name = upload.name
        if found is None:
            raise self._refused(f"{name!r} has not been uploaded (or its upload form expired); upload it, then send.")
        if found.size == 0:
            raise self._refused(f"{name!r} is empty.")
        if found.size > upload.max_size:
            raise self._refused(f"{name!r} is {found.size:,} bytes, more than the {upload.max_size:,} declared.")
        if bare_type(found.content_type) != upload.content_type:
            raise self._refused(f"{name!r} was uploaded as {found.content_type!r}, not {upload.content_type!r}.")
        sniffed = sniff(upload.content_type, found.head, complete=found.size <= len(found.head))
        if not sniffed.matches:
            label = KINDS[upload.content_type].label
            raise self._refused(f"{name!r} is not a {label}: its content does not match {upload.content_type}.")
        return replace(upload, published_key=published_key, size=found.size, width=sniffed.width, height=sniffed.height)
