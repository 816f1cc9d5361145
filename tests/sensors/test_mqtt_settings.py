"""The broker URL: parsed, checked, its password never shown."""

from __future__ import annotations

import unicodedata

import pytest

from dothi.errors import InvalidInput
from dothi.sensors.mqtt.settings import ENV_VAR, Broker, broker_from_env, parse_broker_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://127.0.0.1", Broker("127.0.0.1", 1883)),
        ("mqtt://broker.example.vn:1884", Broker("broker.example.vn", 1884)),
        ("mqtts://broker.example.vn", Broker("broker.example.vn", 8883, tls=True)),
        ("MQTTS://h:9000/", Broker("h", 9000, tls=True)),
        ("mqtt://[::1]:1883", Broker("::1", 1883)),
        ("mqtt://dothi@h", Broker("h", 1883, username="dothi")),
        (
            "mqtt://dothi-server:p%40ss%3Aw%2Fd@h:1883",
            Broker("h", 1883, username="dothi-server", password="p@ss:w/d"),
        ),
        ("  mqtt://u:@h  ", Broker("h", 1883, username="u", password="")),
    ],
)
def test_parse_valid_urls(url: str, expected: Broker) -> None:
    broker = parse_broker_url(url)
    assert broker == expected
    assert broker.password == expected.password


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("tcp://h:1883", "mqtt:// or mqtts://"),
        ("h:1883", "mqtt:// or mqtts://"),
        ("mqtt://", "host is missing"),
        ("mqtt://u:secret@:1883", "host is missing"),
        ("mqtt://h:99999", "port must be a number from 1 to 65535"),
        ("mqtt://h:port", "port must be a number from 1 to 65535"),
        ("mqtt://h:0", "port 0"),
        ("mqtt://h/v1.1", "nothing may follow"),
        ("mqtt://h?x=1", "nothing may follow"),
        ("mqtt://:secret@h", "password but no user name"),
    ],
)
def test_bad_urls_say_what_is_wrong_in_both_languages(url: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_broker_url(url)
    err = info.value
    assert fragment in err.en
    assert err.vi != err.en and err.vi.startswith("Địa chỉ máy chủ MQTT")
    assert unicodedata.is_normalized("NFC", err.vi)
    assert err.status == 400


@pytest.mark.parametrize(
    "url", ["mqtt://u:secret@h/x", "mqtt://u:secret@h:99999", "mqtt://:secret@h", "x:secret@h"]
)
def test_the_password_is_never_shown(url: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_broker_url(url)
    assert "secret" not in info.value.en and "secret" not in info.value.vi


def test_repr_and_url_hide_the_password() -> None:
    broker = parse_broker_url("mqtts://thing-7:s3cr3t@h:8883")
    assert "s3cr3t" not in repr(broker) and "s3cr3t" not in broker.url
    assert broker.url == "mqtts://thing-7@h:8883"
    assert broker.anonymous() == Broker("h", 8883, tls=True)
    assert broker.with_credentials("a", "b").password == "b"


def test_broker_from_env() -> None:
    assert broker_from_env({}) is None
    assert broker_from_env({ENV_VAR: "  "}) is None
    assert broker_from_env({ENV_VAR: "mqtt://h:1"}) == Broker("h", 1)
    with pytest.raises(InvalidInput) as info:
        broker_from_env({ENV_VAR: "http://u:secret@h"})
    assert info.value.en.startswith("DOTHI_MQTT_URL: ")
    assert info.value.vi.startswith("DOTHI_MQTT_URL: ")
    assert "secret" not in str(info.value)
