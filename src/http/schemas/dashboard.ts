import { Type } from 'typebox';

export const DashboardAssetParams = Type.Object({
  asset: Type.Union(
    [
      Type.Literal('dashboard.js'),
      Type.Literal('dashboard.css'),
      Type.Literal('uPlot.iife.min.js'),
      Type.Literal('uPlot.min.css'),
    ],
    { description: "One of the page's files." },
  ),
});
