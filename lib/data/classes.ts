/** FER2013 emotion classes, in the dataset's label order (label i is EMOTIONS[i]). */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];
export const NUM_CLASSES = EMOTIONS.length;

/** The paper's "simple" emotions (Table 5). */
export const SIMPLE_EMOTIONS: readonly Emotion[] = ['happy', 'sad', 'surprise'];
/** The paper's "complex" emotions (Table 5). */
export const COMPLEX_EMOTIONS: readonly Emotion[] = ['angry', 'fear', 'disgust', 'neutral'];

export const emotionIndex = (e: Emotion): number => EMOTIONS.indexOf(e);
export const SIMPLE_LABELS: readonly number[] = SIMPLE_EMOTIONS.map(emotionIndex);
export const COMPLEX_LABELS: readonly number[] = COMPLEX_EMOTIONS.map(emotionIndex);

/** Values of the CSV's Usage column, coded 0..2 in the binary cache. */
export const USAGES = ['Training', 'PublicTest', 'PrivateTest'] as const;
export type Usage = (typeof USAGES)[number];

export const IMAGE_SIZE = 48;
export const PIXELS_PER_IMAGE = IMAGE_SIZE * IMAGE_SIZE;
