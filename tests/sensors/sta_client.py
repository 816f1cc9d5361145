"""A SensorThings test client: the app in process with an official's token, and the
standard's example entities."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sta_samples import OM, ROOT, client, editor

from dothi.config import Settings
from dothi.db.engine import Database

__all__ = ["OM", "ROOT", "sta_client", "thing"]


def sta_client(db: Database, settings: Settings) -> tuple[TestClient, dict[str, str]]:
    """The app, and the headers of an editor's token."""
    return client(db, settings), editor(db)


def thing(
    name: str = "Trạm quan trắc Hoàn Kiếm", lon: float = 105.8522, lat: float = 21.0287
) -> dict[str, Any]:
    """A Thing with its Location and one Datastream of PM2.5 (deep insert)."""
    return {
        "name": name,
        "description": "Trạm quan trắc không khí",
        "properties": {"owner": "Sở Nông nghiệp và Môi trường"},
        "Locations": [
            {
                "name": f"Vị trí {name}",
                "description": "Hè phố",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
        "Datastreams": [
            {
                "name": "PM2.5",
                "description": "Bụi mịn PM2.5 trung bình 1 giờ",
                "observationType": OM + "OM_Measurement",
                "unitOfMeasurement": {
                    "name": "microgram per cubic metre",
                    "symbol": "µg/m³",
                    "definition": "http://unitsofmeasure.org/ucum.html#ug/m3",
                },
                "Sensor": {
                    "name": "Cảm biến quang học",
                    "description": "Đếm hạt bằng tán xạ laser",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/sensor.pdf",
                },
                "ObservedProperty": {
                    "name": "PM2.5",
                    "definition": "https://dbpedia.org/page/Particulates",
                    "description": "Bụi có đường kính ≤ 2,5 µm",
                },
            }
        ],
    }
