"""VN_AQI, the Vietnamese air quality index (chỉ số chất lượng không khí) of Decision
1459/QĐ-TCMT of 12/11/2019, computed per station from hourly means.

Everything the decision fixes — the breakpoints of Bảng 2, the six bands of Bảng 1 with their
colours, the health effects and advice of Bảng 4 and 5 — is read from
``data/vn_aqi_1459.json``, as is every choice Dothi makes where the decision is silent
(``dothi_choices`` there, ``confirmed: false``): never a constant in code.

Inputs are :class:`Series` of 1-hour means, each labelled by the **end** of its hour as the
decision's tables are (the mean of 00:00–01:00 is "01:00"), in µg/m³ for every pollutant
including CO (mg/m³ is converted; ppm/ppb are refused, their conversion needs a temperature
the decision does not fix). A missing hour is ``None`` or simply absent.

* Hourly (AQI giờ, §2.2.1): PM2.5 and PM10 by NowCast over the 12 latest hours (formula 2),
  O3 (1-h breakpoints), NO2, CO and SO2 on the hour's mean (formula 1).
* Daily (AQI ngày, §2.2.2): PM2.5 and PM10 on the 24-h mean, O3 on both the day's highest
  1-h mean and its highest 8-h running mean (two sub-indices), NO2, CO and SO2 on the day's
  highest 1-h mean. A day is 01:00 … 00:00 of the next day, Vietnam time (UTC+07:00).
* The overall index is the highest sub-index and needs PM2.5 or PM10 (§2.1b).

A value that cannot be computed is reported as missing with the reason (:class:`Missing`),
never estimated.

Modules: :mod:`.scale` (the tables and formulas), :mod:`.series` (the input),
:mod:`.compute` (hourly, daily, overall).
"""

from dothi.sensors.aqi.compute import (
    Aqi,
    NowCast,
    daily_aqi,
    daily_sub_indices,
    eight_hour_means,
    hourly_aqi,
    hourly_sub_index,
    nowcast,
)
from dothi.sensors.aqi.scale import (
    PARTICULATES,
    Averaging,
    Band,
    Gap,
    Missing,
    Pollutant,
    SubIndex,
    band_for,
    bands,
    index_of,
    round_index,
)
from dothi.sensors.aqi.series import HOUR, VIETNAM_TIME, Series, day_hours

__all__ = [
    "HOUR",
    "PARTICULATES",
    "VIETNAM_TIME",
    "Aqi",
    "Averaging",
    "Band",
    "Gap",
    "Missing",
    "NowCast",
    "Pollutant",
    "Series",
    "SubIndex",
    "band_for",
    "bands",
    "daily_aqi",
    "daily_sub_indices",
    "day_hours",
    "eight_hour_means",
    "hourly_aqi",
    "hourly_sub_index",
    "index_of",
    "nowcast",
    "round_index",
]
