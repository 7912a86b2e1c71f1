export { ServiceMtls, type ServiceMtlsArgs, type TlsSecretRef, type IssuedTls } from "./component";
export { MtlsCertificates, type MtlsCertificatesArgs } from "./certificates";
export { renderCertificatePlan, renderPkiSummary, type CertificatePlan, type CertificateRole } from "./plan";
export { renderTlsSecret, type IssuedCertificate } from "./secrets";
