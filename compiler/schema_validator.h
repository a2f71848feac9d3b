// Kubeconform-style validation of manifests against the Kubernetes API
// schemas kix keeps under schema/ (see schema/README.md): the schema is
// picked by apiVersion and kind; unknown fields, missing required fields,
// wrong types and values outside an enum are violations.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "manifest/canonical_json.h"

namespace kix {

// The parsed schema files (defined in schema_validator.cc).
struct LoadedSchemas;

struct SchemaViolation {
  std::string pointer;  // JSON Pointer into the manifest: "/spec/template/spec/containers/0/imagee"
  std::string message;  // "unknown field \"imagee\" (did you mean \"image\"?)"
};

class SchemaValidator {
 public:
  // Reads every *.json schema file of `schema_dir` on first use (not here),
  // so constructing a validator costs nothing.
  explicit SchemaValidator(std::filesystem::path schema_dir);
  ~SchemaValidator();
  SchemaValidator(const SchemaValidator&) = delete;
  SchemaValidator& operator=(const SchemaValidator&) = delete;

  // The violations of `manifest`, in document order; empty when it is valid
  // or when no schema is known for its apiVersion/kind. `schema_known`, when
  // given, says which of the two it was. Thread-safe.
  // Throws kix::Error(kNotFound) when the schema directory has no schema
  // files, kCorruption when a schema file is not valid JSON.
  std::vector<SchemaViolation> validate(const Json& manifest, bool* schema_known = nullptr) const;

  // Whether a schema exists for "apps/v1" + "Deployment".
  bool knows(const std::string& api_version, const std::string& kind) const;

  // A validator over these schemas plus the CustomResourceDefinitions
  // given (each served version's openAPIV3Schema, its metadata validated
  // as ObjectMeta, as the API server does): a build's own CRDs validate the
  // custom resources it emits, and win over a built-in schema of the same
  // kind. This validator must outlive the one returned. Thread-safe.
  std::unique_ptr<SchemaValidator> with_crds(const std::vector<Json>& crds) const;

 private:
  const LoadedSchemas& schemas() const;

  std::filesystem::path dir_;
  mutable std::once_flag loaded_;
  mutable std::unique_ptr<LoadedSchemas> schemas_;
};

}  // namespace kix
