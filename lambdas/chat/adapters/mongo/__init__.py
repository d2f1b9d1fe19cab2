"""The MongoDB adapters: the only code that speaks pymongo. Every store method is one
round trip unless its docstring or a comment says otherwise.

    client         the one client per container, and driver errors as domain errors
    command_spans  MongoDB commands as trace spans (pymongo's command monitoring)
    documents      how messages are stored (the mappers; users and conversations are mapped in their stores)
    accounts       users and refresh tokens
    logins         logins, apart: the WebSocket authorizer reads them on every handshake
    limits         rate limits, failed-login windows, the typing throttle
    conversations  conversations (with their change log) and receipts
    messages       messages
    connections    WebSocket connections
    media          upload records
    archive        the archive's chunk index, and the hot messages the archiver moves
    push           push subscriptions and delivery claims
    blocks         who blocked whom
    indexes        every index, created by deploy and the local stack
    backfill       search's fields on history stored before search, filled at deploy

Nothing is imported here: a handler loads only the modules its stores need.
"""
