#!/usr/bin/env python3
"""Write a Flux checkout of N objects for `just bench-scan`: a bootstrap layout whose one
Kustomization builds tenant folders of GitRepositories, Kustomizations, HelmReleases,
RoleBindings and ConfigMaps (a fifth each), as a platform repository of many teams holds.

    python3 scripts/scan-bench-fleet.py DIR N
"""
import os
import sys

def main(root, n):
    os.makedirs(f"{root}/clusters/bench/flux-system", exist_ok=True)
    open(f"{root}/clusters/bench/flux-system/gotk-sync.yaml", "w").write("# bootstrap\n")
    open(f"{root}/clusters/bench/tenants.yaml", "w").write(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata: {name: tenants, namespace: flux-system}\n"
        "spec: {interval: 10m, path: ./tenants, prune: true, serviceAccountName: kustomize-controller,\n"
        "       sourceRef: {kind: GitRepository, name: flux-system}}\n")
    teams = max(1, n // 5)
    os.makedirs(f"{root}/tenants", exist_ok=True)
    for t in range(teams):
        ns = f"team-{t}"
        docs = [
            f"apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: apps, namespace: {ns}}}\n"
            f"spec: {{interval: 5m, url: 'https://github.com/acme/{ns}', ref: {{branch: main}}}}\n",
            f"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: apps, namespace: {ns}}}\n"
            f"spec: {{interval: 10m, path: ./deploy, prune: true, serviceAccountName: {ns}, sourceRef: {{kind: GitRepository, name: apps}}}}\n",
            f"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {{name: web, namespace: {ns}}}\n"
            f"spec: {{interval: 10m, serviceAccountName: {ns}, chart: {{spec: {{chart: web, version: '1.x', sourceRef: {{kind: HelmRepository, name: charts}}}}}},\n"
            f"       values: {{replicaCount: 2, securityContext: {{runAsNonRoot: true}}}}}}\n",
            f"apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: reconciler, namespace: {ns}}}\n"
            f"roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\n"
            f"subjects: [{{kind: ServiceAccount, name: {ns}, namespace: {ns}}}]\n",
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings, namespace: {ns}}}\ndata: {{team: '{ns}'}}\n",
        ]
        open(f"{root}/tenants/{ns}.yaml", "w").write("---\n".join(docs))

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
