"""Webhook Inspector: catch, inspect, verify and replay webhooks."""

__version__ = "0.1.0"
APP_ID = "io.github.webhookinspector.WebhookInspector"
