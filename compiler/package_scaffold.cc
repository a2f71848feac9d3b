#include "compiler/package_scaffold.h"

namespace kix::compiler {

namespace {

// `text` with every "@NAME@" replaced by `name`.
std::string named(std::string text, const std::string& name) {
  for (size_t at = text.find("@NAME@"); at != std::string::npos; at = text.find("@NAME@", at)) {
    text.replace(at, 6, name);
    at += name.size();
  }
  return text;
}

constexpr const char* kPackage = R"(package: @NAME@
description: >-
  @NAME@ runs a web server as a Deployment behind a Service. Say here what it
  serves and for whom: `kix package docs` puts this in the README.
options:
  image:
    type: string
    default: docker.io/nginxinc/nginx-unprivileged:1.27-alpine
    description: >-
      The container image. It must run as a user other than root (the pod
      sets runAsNonRoot); `kix lock --images` pins it to a digest.
  replicas:
    type: integer
    default: 1
    minimum: 1
    description: How many pods serve at once.
  port:
    type: integer
    default: 8080
    minimum: 1
    maximum: 65535
    description: The port the container listens on, which the Service serves too.
  resources:
    type: object
    additionalProperties: true
    default:
      requests: { cpu: 50m, memory: 64Mi }
      limits: { memory: 128Mi }
    description: The container's resource requests and limits.
checks:
  - error: >-
      @NAME@ '${self.name}': port ${config.port} is below 1024, which a
      container running as a user other than root cannot listen on; pick a
      port of 1024 or above (the Service can still be reached on it)
    when: ${config.port < 1024}
resources:
  deployment:
    manifest:
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: ${self.name}
      spec:
        replicas: ${config.replicas}
        template:
          spec:
            securityContext:
              runAsNonRoot: true
            containers:
              - name: server
                image: ${config.image}
                ports:
                  - name: http
                    containerPort: ${config.port}
                readinessProbe:
                  tcpSocket: { port: http }
                  periodSeconds: 5
                resources: ${config.resources}
  service:
    selects: deployment
    manifest:
      apiVersion: v1
      kind: Service
      metadata:
        name: ${self.name}
      spec:
        ports:
          - name: http
            protocol: TCP
            port: ${config.port}
            targetPort: http
out:
  host: ${resources.service.metadata.name}
  port: ${config.port}
  url: http://${resources.service.metadata.name}.${self.namespace}.svc.cluster.local:${config.port}
)";

constexpr const char* kTestCluster =
    R"(# The test of package @NAME@: `kix package test` builds this definition and
# compares the result with expected/ beside it; `--accept` records a new
# result there. More cases go in test/<case>/cluster.yaml.
cluster: @NAME@-test
# The package's own directory, so that `kix build` of this file finds it
# too (`kix package test` searches it first anyway).
packagePaths: [../..]
instances:
  @NAME@:
    @NAME@:
      package: @NAME@
      config: { replicas: 2 }
)";

constexpr const char* kPortTestCluster =
    R"(# A case that must fail: the check on `port` fires (expected-errors.txt).
cluster: @NAME@-test
packagePaths: [../../..]
instances:
  @NAME@:
    @NAME@:
      package: @NAME@
      config: { port: 80 }
)";

constexpr const char* kPortTestErrors =
    R"(# The build of cluster.yaml beside this file must fail, and each line below must be
# found in one of its errors (kix package test; --accept rewrites this file).
port 80 is below 1024
)";

constexpr const char* kReadmeTail = R"(
## Use

```yaml
instances:
  my-namespace:
    @NAME@:
      package: @NAME@
      config: { replicas: 2 }
```

A package that needs it declares a need (`needs: [web]`) and reads
`${web.out.url}`; an instance of @NAME@ answers that need when it is named
like it or lists it under `aliases` (`aliases: [web]`). Its `out` gives
`host`, `port` and `url`.

## Checks

- An error when `port` is below 1024: the container runs as a user other
  than root, which cannot listen there. The case test/privileged-port
  shows it firing.

## Working on the package

```sh
kix package lint .            # unused options, checks that never fire, README drift
kix package test .            # build each test case, compare with its expected output
kix package test . --accept   # record an intended change (review the diff)
kix package docs --update .   # after changing options or out
```
)";

}  // namespace

std::vector<ScaffoldFile> package_scaffold(const std::string& name,
                                           const std::string& package_schema,
                                           const std::string& cluster_schema) {
  return {
      {"package.yaml",
       "# yaml-language-server: $schema=" + package_schema + "\n" + named(kPackage, name)},
      {"test/cluster.yaml",
       "# yaml-language-server: $schema=" + cluster_schema + "\n" + named(kTestCluster, name)},
      {"test/privileged-port/cluster.yaml",
       "# yaml-language-server: $schema=" + cluster_schema + "\n" + named(kPortTestCluster, name)},
      {"test/privileged-port/expected-errors.txt", kPortTestErrors},
  };
}

std::string scaffold_readme_tail(const std::string& name) {
  return named(kReadmeTail, name);
}

}  // namespace kix::compiler
