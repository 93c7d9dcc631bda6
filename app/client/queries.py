"""The GraphQL documents the commands send (field names as in schema.graphql)."""

INGEST = """
mutation Ingest($input: IngestInput!) {
  ingest(input: $input) {
    job { id state }
    error {
      __typename
      ... on ValidationError { code message field }
      ... on ConflictError { code message existingId }
      ... on UnavailableError { code message }
    }
  }
}"""

PROGRESS = """
subscription Progress($jobId: ID!) {
  ingestProgress(jobId: $jobId) {
    id state url
    history { state }
    files { path doneBytes totalBytes }
    partialScores { name score applicable }
    netScore
    gate { passed policyVersion threshold failures { metric score required gap detail } }
    error { code message existingId }
    artifact { id name type }
  }
}"""

RATING = """
query Rate($id: ID!) {
  artifact(id: $id) {
    id name type gatePassed
    rating {
      netScore
      metrics { name score applicable notApplicableReason explanation error }
      gate { passed failures { metric score required gap detail } }
    }
  }
}"""

LINEAGE = """
query Lineage($id: ID!, $direction: LineageDirection!, $depth: Int!) {
  lineage(id: $id, direction: $direction, depth: $depth) {
    root { id name }
    nodes { name distance artifact { id name } }
    edges { parent child relationship source }
  }
}"""

SEARCH = """
query Search($filter: ArtifactFilter, $after: String) {
  artifacts(filter: $filter, first: 100, after: $after) {
    edges { node { id name type license rating { netScore } gatePassed } }
    pageInfo { hasNextPage endCursor }
  }
}"""

DOWNLOAD = """
query Download($id: ID!) {
  artifact(id: $id) { id name downloadUrl }
}"""

RESCORE = """
mutation Rescore($id: ID!, $force: Boolean!) {
  rescoreArtifact(id: $id, force: $force) {
    rescored reason changed
    artifact {
      id name gatePassed
      ratingHistory { at reason note netScore moved { metric before after } }
    }
    error { __typename ... on Error { code message } }
  }
}"""

RESCORE_ALL = """
mutation RescoreAll {
  rescoreAll { checked rescored failed requests notModified seconds }
}"""
