/** Emotion dynamics: the Markov chain, face sequences, the CNN+LSTM sequence model, Table 6. */
export * from './markov';
export * from './sequences';
export * from './model';
export * from './train';
export * from './table6';
export * from './experiment';
