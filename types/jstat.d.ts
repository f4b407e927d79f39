// jstat ships no types; only the functions this project calls are declared.
declare module 'jstat' {
  interface Distribution {
    cdf(x: number, ...params: number[]): number
    pdf(x: number, ...params: number[]): number
    inv(p: number, ...params: number[]): number
  }
  interface DiscreteDistribution {
    cdf(k: number, ...params: number[]): number
    pdf(k: number, ...params: number[]): number
  }
  const jStat: {
    normal: Distribution
    chisquare: Distribution
    uniform: Distribution
    gamma: Distribution
    beta: Distribution
    poisson: DiscreteDistribution
    binomial: DiscreteDistribution
    /** The regularized lower incomplete gamma function P(a, x). */
    lowRegGamma(a: number, x: number): number
  }
  export default jStat
}
