"""Share a file (a report's chart, a CSV) in a channel or thread with Slack's external upload flow.

    file_id = await upload_file(client, channel=channel, thread_ts=ts, filename="report.png", content=png,
                                title=title, initial_comment=comment, alt_text=alt)

slack_sdk's `files_upload_v2`: files.getUploadURLExternal, a POST of the bytes to the upload URL Slack gave, then
files.completeUploadExternal (scope files:write; the bot must be a member of the channel). The bytes go to the URL
Slack handed out, through the client's own session: against the simulator that is the simulator itself.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

__all__ = ["UPLOAD_FAILED", "upload_file"]

log = logging.getLogger("bot.files")

UPLOAD_FAILED = "upload_failed"
"""The `error` of the SlackApiError raised when the upload URL refused the bytes (Slack's Web API answered ok, its
file service did not), so that callers handle one exception type."""


async def upload_file(
    client: AsyncWebClient,
    *,
    channel: str,
    thread_ts: str | None,
    filename: str,
    content: bytes,
    title: str,
    initial_comment: str | None = None,
    alt_text: str | None = None,
) -> str | None:
    """Upload `content` and share it in `channel` (in the thread of `thread_ts` when given); the file's id.

    SlackApiError when Slack refuses (`missing_scope`, `not_in_channel`, …; `UPLOAD_FAILED` when the upload URL
    refused the bytes). files.completeUploadExternal posts, so the client never repeats it (bot/web_client.py).
    """
    try:
        response = await client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            filename=filename,
            content=content,
            title=title,
            initial_comment=initial_comment,
            alt_txt=alt_text,
        )
    except SlackRequestError as err:  # only the upload step raises it here: its message names status and file
        log.warning("upload of %s refused: %s", filename, err)
        refused = AsyncSlackResponse(
            client=client,
            http_verb="POST",
            api_url="upload_url",
            req_args={},
            data={"ok": False, "error": UPLOAD_FAILED},
            headers={},
            status_code=200,
        )
        raise SlackApiError(f"The upload of {filename} was refused", refused) from err  # type: ignore[no-untyped-call]
    file = response.get("file") or {}
    file_id = file.get("id") if isinstance(file, dict) else None
    return str(file_id) if file_id else None
