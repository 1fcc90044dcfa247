"""Routing: who gets which conversation, and when promises (SLAs) fall due."""
