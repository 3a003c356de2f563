"""The newsletter part of the subscriptions service."""
