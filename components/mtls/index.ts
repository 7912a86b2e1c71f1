export { ServiceMtls, type ServiceMtlsArgs, type TlsSecretRef, type IssuedTls } from "./component";
export { MtlsCertificates, type MtlsCertificatesArgs } from "./certificates";
export { renderCertificatePlan, renderCertificatePlanFor, renderPkiSummary, type CertificatePlan, type CertificateRole } from "./plan";
export { mtlsArgsOf, checkMtlsArgs, type MtlsPlanArgs } from "./args";
export { renderTlsSecret, type IssuedCertificate } from "./secrets";
