// tshark helpers live in reports/tshark.ts (the scenario runner reads captures with them too).
export * from '../../reports/tshark.ts';
