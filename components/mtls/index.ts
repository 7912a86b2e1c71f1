export { ServiceMtls, ServiceMtlsArgs, TlsSecretRef } from "./component";
export { renderCertificatePlan, renderPkiSummary, CertificatePlan, CertificateRole } from "./plan";
export { renderTlsSecret, IssuedCertificate } from "./secrets";
