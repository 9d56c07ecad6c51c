"""The Reintegration Sustainability Survey's items and scoring, exports for monitoring, and
the payloads charts are drawn from.
"""
