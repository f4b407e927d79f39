// jstat ships no types; only the functions this project calls are declared.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...params: number[]): number
    pdf(x: number, ...params: number[]): number
    inv(p: number, ...params: number[]): number
  }
  const jStat: {
    normal: Distribution
    chisquare: Distribution
    uniform: Distribution
  }
  export default jStat
}
