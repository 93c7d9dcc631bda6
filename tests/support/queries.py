"""GraphQL documents the tests send, as a client would."""

INGEST = """
mutation Ingest($url: String!, $type: ArtifactType!, $name: String) {
  ingest(input: {url: $url, type: $type, name: $name}) {
    job { id state url type name }
    error {
      __typename
      ... on Error { code message }
      ... on ValidationError { field }
      ... on ConflictError { existingId }
    }
  }
}
"""

PROGRESS = """
subscription Progress($jobId: ID!) {
  ingestProgress(jobId: $jobId) {
    id state attempts
    error { code message }
    artifact { id name }
  }
}
"""

JOB = """
query Job($id: ID!) {
  ingestJob(id: $id) {
    id state attempts
    history { state at }
    error { code message }
    artifact { id }
  }
}
"""

ARTIFACT = """
query Artifact($id: ID!) {
  artifact(id: $id) {
    id name type sourceUrl sourceKey revision license sizeBytes readme createdAt createdBy
    downloadUrl
  }
}
"""

DELETE = """
mutation Delete($id: ID!) {
  deleteArtifact(id: $id) {
    deletedId
    error { __typename ... on Error { code message } }
  }
}
"""
