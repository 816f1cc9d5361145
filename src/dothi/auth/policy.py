"""Who may read and who may write a layer: pure functions over a :class:`Principal`.

The rules, from least to most access:

- everyone, signed in or not, reads ``public`` layers;
- any active account (``viewer``, ``editor``) also reads ``internal`` layers;
- a ``restricted`` layer is read only by admins and by accounts granted read on it;
- an ``editor`` writes the layers it is granted edit on (edit implies read);
- an ``admin`` reads and writes everything.

No database access here, so routes, the CLI and the tests share one definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dothi.errors import Forbidden, NotFound, Unauthorized
from dothi.spatial.layers import Layer

ROLES = ("admin", "editor", "viewer")
#: A sensor device signed in with its Thing's credentials: it may only add its readings.
DEVICE_ROLE = "device"
#: What people read instead of a role's code: (Vietnamese, English).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("Quản trị viên", "Administrator"),
    "editor": ("Biên tập viên", "Editor"),
    "viewer": ("Người xem", "Viewer"),
}


@dataclass(frozen=True)
class Principal:
    """Who is acting: an account (through a password or a token), the CLI or anonymous.

    ``readable`` and ``editable`` are the ids of layers the account holds grants on.
    """

    id: int | None
    name: str
    role: str | None
    agency_id: int | None = None
    readable: frozenset[str] = frozenset()
    editable: frozenset[str] = frozenset()
    #: The API token the request came with, for the audit log.
    token_id: int | None = None
    #: For a sensor device (role ``device``): the Thing it is.
    device_thing: int | None = None

    @property
    def is_anonymous(self) -> bool:
        """True for a caller without credentials."""
        return self.role is None

    @property
    def is_admin(self) -> bool:
        """True for admins (and the command-line operator)."""
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How the audit log names this principal: an account id, never a person's name."""
        return f"account:{self.id}" if self.id is not None else self.name


#: A caller with no credentials: reads public layers only.
ANONYMOUS = Principal(id=None, name="anonymous", role=None)


def operator(name: str) -> Principal:
    """The person running ``dothi`` on the server: full rights, as for database access.

    Whoever can run the CLI can already open the database, so the CLI does not ask for
    a password; ``name`` (``cli:<login>``) goes to the audit log.
    """
    return Principal(id=None, name=name, role="admin")


def can_read(principal: Principal, layer: Layer) -> bool:
    """True if ``principal`` may read the features of ``layer``."""
    return may_read(principal, layer.id, layer.access)


def may_read(principal: Principal, layer_id: str, access: str) -> bool:
    """:func:`can_read` from a layer's id and access level alone."""
    if access == "public" or principal.is_admin:
        return True
    if access == "internal":
        return not principal.is_anonymous
    # restricted, and any access level this code does not know: only explicit grants.
    return layer_id in principal.readable


def can_edit(principal: Principal, layer: Layer) -> bool:
    """True if ``principal`` may create, replace, update or delete features of ``layer``."""
    if principal.is_admin:
        return True
    return principal.role == "editor" and layer.id in principal.editable


def visible_layers(principal: Principal, layers: Iterable[Layer]) -> list[Layer]:
    """The layers ``principal`` may read, in the given order."""
    return [ly for ly in layers if can_read(principal, ly)]


def visible_layer_ids(principal: Principal, layers: Iterable[Layer]) -> set[str]:
    """Ids of the layers ``principal`` may read."""
    return {ly.id for ly in visible_layers(principal, layers)}


def require_read(principal: Principal, layer: Layer) -> Layer:
    """Return ``layer`` if readable; otherwise :class:`NotFound`.

    A layer the caller may not read looks exactly like a missing one, so its existence
    does not leak.
    """
    if not can_read(principal, layer):
        raise NotFound(f"Không có lớp dữ liệu «{layer.id}».", f"No layer '{layer.id}'.")
    return layer


def require_edit(principal: Principal, layer: Layer) -> Layer:
    """Return ``layer`` if ``principal`` may write it.

    Unreadable layers are :class:`NotFound`; anonymous callers get :class:`Unauthorized`
    (code ``AuthenticationRequired``) so that clients know to send a token; signed-in
    callers without the right get :class:`Forbidden`.
    """
    require_read(principal, layer)
    if can_edit(principal, layer):
        return layer
    if principal.is_anonymous:
        raise Unauthorized(
            "Cần đăng nhập (token API) để sửa dữ liệu.",
            "Authentication (an API token) is required to change data.",
            code="AuthenticationRequired",
        )
    raise Forbidden(
        f"Tài khoản không có quyền sửa lớp «{layer.id}».",
        f"This account may not edit layer '{layer.id}'.",
    )


#: The roles of the city's officials, who import and manage data.
OFFICIAL_ROLES = ("admin", "editor")


def require_official(principal: Principal) -> None:
    """An administrator's or an editor's account, else :class:`Unauthorized` (anonymous) or
    :class:`Forbidden` (a viewer)."""
    if principal.is_anonymous:
        raise Unauthorized(
            "Cần đăng nhập để nhập và quản lý dữ liệu.",
            "Sign in to import and manage data.",
            code="AuthenticationRequired",
        )
    if principal.role not in OFFICIAL_ROLES:
        raise Forbidden(
            "Chỉ quản trị viên và biên tập viên được nhập, quản lý dữ liệu.",
            "Only administrators and editors may import and manage data.",
        )
