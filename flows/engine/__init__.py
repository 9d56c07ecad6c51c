"""The generic machinery: Flow, Turn and Prompt, Event and Effect types, the registry of
flows, and the engine that conducts one update (dedupe, route, decide, apply, outbox).
"""
