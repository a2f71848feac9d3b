{{- define "bench.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .name }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: {{ .namespace }}
app.kubernetes.io/managed-by: helm
helm.sh/chart: kix-bench-0.1.0
{{- end -}}
{{- define "bench.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .name }}
{{- end -}}
