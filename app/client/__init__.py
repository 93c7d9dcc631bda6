"""The ``tmr`` client commands: they speak to a served registry over its public APIs only
(GraphQL over HTTP and graphql-transport-ws, REST for the token and the download), never to its
services or stores."""
