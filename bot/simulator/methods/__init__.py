"""The Web API methods the fake answers: each handler takes the workspace and the call's arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.simulator.methods import apps, auth, chat, conversations, files, users, views
from bot.simulator.params import JSONDict
from bot.simulator.workspace import Workspace

Handler = Callable[[Workspace, JSONDict], Awaitable[JSONDict]]

HANDLERS: Mapping[str, Handler] = {
    "api.test": auth.api_test,
    "apps.connections.open": apps.connections_open,
    "auth.test": auth.auth_test,
    "chat.postMessage": chat.post_message,
    "chat.update": chat.update,
    "chat.delete": chat.delete,
    "chat.postEphemeral": chat.post_ephemeral,
    "chat.getPermalink": chat.get_permalink,
    "conversations.info": conversations.info,
    "conversations.members": conversations.members,
    "conversations.open": conversations.open_conversation,
    "conversations.history": conversations.history,
    "conversations.replies": conversations.replies,
    "files.getUploadURLExternal": files.get_upload_url,
    "files.completeUploadExternal": files.complete_upload,
    "users.info": users.info,
    "usergroups.list": users.usergroups_list,
    "usergroups.users.list": users.usergroups_users_list,
    "views.open": views.open_modal,
    "views.update": views.update_view,
    "views.push": views.push_modal,
    "views.publish": views.publish_home,
}
