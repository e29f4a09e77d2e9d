/** The report formats, apart from their writers: the CLI lists them without loading any. */
export const REPORT_FORMATS = ['md', 'html', 'junit', 'sarif', 'json', 'text'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];
