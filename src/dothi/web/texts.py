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
    # The sensor layer (sensors.js).
    "sensors_heading": ("Cảm biến", "Sensors"),
    "sensors_show": ("Hiện cảm biến", "Show sensors"),
    "sensors_note": (
        "Màu theo số đo mới nhất, cập nhật mỗi 15 giây. Bấm vào một cảm biến để xem số đo "
        "và biểu đồ.",
        "Coloured by the latest readings, updated every 15 seconds. Click a sensor for its "
        "readings and charts.",
    ),
    "sensors_error": ("Không tải được số đo cảm biến.", "Could not load the sensor readings."),
    "sensor_simulated": ("Dữ liệu mô phỏng", "Simulated data"),
    "sensor_replayed": (
        "Số đo thật, thời gian dời tới hiện tại",
        "Real readings, times shifted to now",
    ),
    "sensor_latest": ("Số đo mới nhất", "Latest readings"),
    "sensor_close": ("Đóng", "Close"),
    "sensor_day": ("24 giờ", "24 hours"),
    "sensor_week": ("7 ngày", "7 days"),
    "sensor_chart": ("Biểu đồ", "Chart"),
    "sensor_chart_day": ("theo giờ, 24 giờ qua", "hourly, last 24 hours"),
    "sensor_chart_week": ("theo ngày, 7 ngày qua", "daily, last 7 days"),
    "sensor_no_chart": ("Chưa có số liệu cho biểu đồ.", "No data for a chart yet."),
    "sensor_mean": ("trung bình", "mean"),
    "sensor_range": ("thấp nhất – cao nhất", "lowest – highest"),
    "sensor_updated": ("Cập nhật lúc", "Updated at"),
    "sensor_on": ("bật", "on"),
    "sensor_off": ("tắt", "off"),
    "sensor_fault_none": ("không lỗi", "no fault"),
    "sensor_fault_lamp_failure": ("hỏng bóng đèn", "lamp failure"),
    "sensor_fault_driver_fault": ("lỗi bộ nguồn", "driver fault"),
    "sensor_fault_power_loss": ("mất điện", "power loss"),
    "sensor_profile_air_quality": ("Không khí", "Air quality"),
    "sensor_profile_flood": ("Mưa và ngập", "Rain and flooding"),
    "sensor_profile_lighting": ("Chiếu sáng", "Street lighting"),
    "sensor_profile_traffic": ("Giao thông", "Traffic"),
    "sensor_profile_waste": ("Rác thải", "Waste"),
    "sensor_profile_meters": ("Đồng hồ nước, điện", "Water and power meters"),
    "sensor_profile_water_quality": ("Nước sạch", "Drinking water"),
    "sensor_profile_other": ("Khác", "Other"),
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
