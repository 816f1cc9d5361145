"""The words of the map page, in Vietnamese and English: the page shows one language.

The template takes them as ``$key``; the script gets those of its language in its
configuration (``config.text``), so each sentence is written once, here.
"""

from __future__ import annotations

from dothi.i18n import Language

#: key → (Vietnamese, English).
MAP_TEXT: dict[str, tuple[str, str]] = {
    "page_title": ("Bản đồ đô thị", "City map"),
    "search_label": ("Tìm thửa đất", "Find a parcel"),
    "search_hint": (
        "Địa chỉ, tên đường, phường/xã hoặc số tờ/số thửa (vd. «2 le duan», «tờ 12 thửa 1»).",
        "Address, street, ward or sheet/parcel number (e.g. “2 le duan”, “sheet 12 parcel 1”).",
    ),
    "search_button": ("Tìm", "Find"),
    "search_results": ("Kết quả tìm kiếm", "Search results"),
    "search_failed": ("Không tìm được.", "The search failed."),
    "search_none": ("Không thấy thửa nào.", "No parcel found."),
    "no_address": ("(chưa có địa chỉ)", "(no address)"),
    "layers_heading": ("Lớp dữ liệu", "Layers"),
    "show_drafts": ("Hiện dự thảo quy hoạch", "Show draft plans"),
    "signin_note": (
        "Một số lớp chỉ hiện khi đã đăng nhập (cuối trang).",
        "Some layers show only once signed in (at the end of this panel).",
    ),
    "legend_heading": ("Chú giải", "Legend"),
    "legend_draft": (
        "Ô của dự thảo quy hoạch (chưa có hiệu lực)",
        "Zone of a draft plan (not in force)",
    ),
    "map_help": (
        "Bấm vào bản đồ để xem thông tin và quy hoạch tại điểm đó. Với bàn phím: Tab tới "
        "bản đồ, phím mũi tên để di chuyển, Enter để tra cứu tại tâm bản đồ.",
        "Click the map to see what is there and its planning. With a keyboard: Tab to the "
        "map, arrow keys to move, Enter to look up the centre of the map.",
    ),
    "map_label": ("Bản đồ", "Map"),
    "share_button": ("Liên kết tới chỗ này", "Link to this view"),
    "share_copied": ("Đã chép liên kết:", "Link copied:"),
    "share_copy_this": ("Chép liên kết này:", "Copy this link:"),
    "signin_heading": ("Đăng nhập", "Sign in"),
    "account_label": ("Tài khoản", "Account"),
    "password_label": ("Mật khẩu", "Password"),
    "signin_button": ("Đăng nhập", "Sign in"),
    "signed_in": ("Đã đăng nhập", "Signed in"),
    "token_label": ("Mã truy cập (token API)", "Access token (API token)"),
    "token_button": ("Dùng", "Use"),
    "token_hint": ("Không bắt buộc.", "Optional."),
    "error_map": ("Lỗi khi tải dữ liệu bản đồ.", "Error while loading map data."),
    "error_layers": ("Không tải được danh sách lớp.", "Could not load the layer list."),
    "no_layers": ("Chưa có lớp nào để xem.", "No layer to show yet."),
    "no_tiles": ("Không có ô vector", "No vector tiles"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "illustrative": ("Dữ liệu minh họa", "Illustrative data"),
    "plan_status": ("Trạng thái đồ án", "Plan status"),
    # As dothi.planning.plans.STATUS_LABELS words them (the API's status_label, which the
    # page prefers): for a plan the API sent without one.
    "status_draft": ("Bản nháp (chưa công bố)", "Draft (not published)"),
    "status_consultation": (
        "Dự thảo đang lấy ý kiến (chưa có hiệu lực)",
        "Draft in consultation (not in force)",
    ),
    "status_approved": ("Đã phê duyệt, đang có hiệu lực", "Approved, in force"),
    "status_superseded": ("Đã được thay thế (hết hiệu lực)", "Superseded (no longer in force)"),
    "status_unknown": ("Đồ án chưa đăng ký", "Plan not registered"),
    "view_record": ("Xem bản ghi", "View record"),
    "previous": ("Đối tượng trước", "Previous feature"),
    "next": ("Đối tượng sau", "Next feature"),
    "planning_here": ("Quy hoạch tại điểm này", "Planning here"),
    "no_answer": (
        "Không tra cứu được quy hoạch tại điểm này.",
        "No planning answer for this place.",
    ),
    "commune": ("Xã/phường", "Commune/ward"),
    "address": ("Địa chỉ", "Address"),
    "parcel": ("Thửa đất", "Parcel"),
    "parcel_no": ("thửa", "parcel"),
    "sheet_no": ("tờ", "sheet"),
    "zone_in_force": ("Ô quy hoạch", "Planning zone"),
    "zone_proposed": ("Ô theo dự thảo", "Zone in the draft"),
    "no_change": ("Dự thảo không thay đổi ô này.", "The draft does not change this zone."),
    "new_zone": ("Ô mới theo dự thảo.", "A new zone in the draft."),
    "now": ("hiện", "now"),
    "proposed": ("đề xuất", "proposed"),
    "coverage": ("mật độ xây dựng", "building coverage"),
    "floors": ("tầng cao", "floors"),
    "far": ("hệ số sử dụng đất", "land-use coefficient"),
    "comment_here": ("Góp ý về vị trí này", "Comment on this place"),
    "constraint": ("Ràng buộc", "Constraint"),
    "at_most": ("Tối đa", "At most"),
    "footprint": ("diện tích xây dựng", "footprint"),
    "floor_area": ("diện tích sàn", "floor area"),
    "plan": ("Quy hoạch", "Plan"),
    "no_data": ("không có dữ liệu", "no data"),
    "sheet_pdf": ("Tải phiếu thông tin quy hoạch (PDF)", "Planning information sheet (PDF)"),
}

_LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def map_text(lang: Language) -> dict[str, str]:
    """The map page's words in ``lang``."""
    i = 1 if lang == "en" else 0
    return {key: pair[i] for key, pair in MAP_TEXT.items()}


def other_language(lang: Language) -> tuple[Language, str]:
    """The language the page offers to switch to, and its name in itself."""
    other: Language = "vi" if lang == "en" else "en"
    return other, _LANGUAGE_NAMES[other]
