{{/* The name prefix of every object: the release name, plus "-tttcluster" unless it already says so. */}}
{{- define "tttcluster.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "tttcluster" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-tttcluster" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "tttcluster.labels" -}}
app.kubernetes.io/name: tttcluster
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: tttcluster
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component (gateway, silo): pass (dict "root" $ "component" "gateway"). */}}
{{- define "tttcluster.selectorLabels" -}}
app.kubernetes.io/name: tttcluster
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The two labels Orleans' Kubernetes hosting finds the farm's pods by; they must equal ORLEANS_*_ID. */}}
{{- define "tttcluster.orleansLabels" -}}
orleans/serviceId: {{ .Values.orleans.serviceId | quote }}
orleans/clusterId: {{ .Values.orleans.clusterId | quote }}
{{- end -}}

{{- define "tttcluster.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tttcluster.secretName" -}}
{{ .Values.existingSecret | default (include "tttcluster.fullname" .) }}
{{- end -}}

{{- define "tttcluster.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "tttcluster.fullname" .) }}
{{- end -}}

{{/* The environment of every silo (gateway and workers): the storage account, and what Orleans' Kubernetes hosting
     reads (POD_NAME, POD_NAMESPACE, POD_IP from the downward API; ORLEANS_SERVICE_ID, ORLEANS_CLUSTER_ID). */}}
{{- define "tttcluster.env" -}}
- name: TTT_STORAGE
  valueFrom:
    secretKeyRef:
      name: {{ include "tttcluster.secretName" . }}
      key: TTT_STORAGE
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: ORLEANS_SERVICE_ID
  value: {{ .Values.orleans.serviceId | quote }}
- name: ORLEANS_CLUSTER_ID
  value: {{ .Values.orleans.clusterId | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
