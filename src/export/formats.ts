import type { ListWriter } from './audited-export.js';

/**
 * The export formats, declared once: the CLI's `--format` choices and help, and the writer
 * `export` runs, come from here. A writer is loaded when it is used, so that `--help` and the
 * other commands do not load the workbook library. Adding a format is one writer module, one
 * entry here and its test.
 */
export interface ExportFormat {
  id: string;
  /** one line for `--help` */
  description: string;
  /** the ranked warning list */
  list: () => Promise<ListWriter>;
  /** the night runs' urgent warnings (`--urgent`), where the format has one */
  urgent?: () => Promise<ListWriter>;
  /** a binary file: never written to a terminal */
  binary?: boolean;
}

export const exportFormats: readonly ExportFormat[] = [
  {
    id: 'csv',
    description: 'csv (UTF-8 with BOM, as Excel opens it)',
    list: async () => (await import('./warning-list.js')).writeWarningList,
    urgent: async () => (await import('./urgent-list.js')).writeUrgentList,
  },
  {
    id: 'json',
    description: 'json (one object per household, reasons as structured facts)',
    list: async () => (await import('./warning-list.js')).writeWarningListJson,
    urgent: async () => (await import('./urgent-list.js')).writeUrgentListJson,
  },
  {
    id: 'xlsx',
    description: 'xlsx (a summary sheet, then one sheet per street)',
    list: async () => (await import('./warning-list-xlsx.js')).writeWarningListXlsx,
    binary: true,
  },
];

export const exportFormat = (id: string): ExportFormat | undefined => exportFormats.find((f) => f.id === id);
