export { ServiceMtls, ServiceMtlsArgs, TlsSecretRef, IssuedTls } from "./component";
export { MtlsCertificates, MtlsCertificatesArgs } from "./certificates";
export { renderCertificatePlan, renderPkiSummary, CertificatePlan, CertificateRole } from "./plan";
export { renderTlsSecret, IssuedCertificate } from "./secrets";
