"""Dothi — nền tảng dữ liệu đô thị thông minh / an open smart-city data platform."""

__version__ = "0.1.0"
