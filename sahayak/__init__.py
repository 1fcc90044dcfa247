"""Sahayak: a self-hosted, multi-channel customer-support platform."""

__version__ = "0.1.0"
