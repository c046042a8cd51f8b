/** The untyped parser of Prometheus' text format (a prom2json-shaped array of metric families). */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
